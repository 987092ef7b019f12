"""Recognition of studies abroad: grading scales and the conversion of host grades."""
