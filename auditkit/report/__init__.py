"""Report rendering (papermill, nbconvert) and the view functions each report section uses."""
