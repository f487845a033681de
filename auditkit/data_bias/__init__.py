"""Bias in the data: representation, base rates, missingness and proxies."""
