"""Product lines, products, orders and daily sales volume (the denominators of complaint rates)."""
