"""Management reports: the web page, PDF and XLSX renderings of one report."""
