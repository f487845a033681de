"""Reading data, loading models safely, prediction adapters and validation at the boundary."""
