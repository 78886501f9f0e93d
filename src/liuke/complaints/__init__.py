"""Complaint management: cases, the category x product-line grid, suggestions and charts."""
