"""Demo content for trying the board out (`flask demo load`)."""
