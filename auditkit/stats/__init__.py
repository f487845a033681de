"""Groups, confusion counts, bootstrap, significance tests and disparities."""
