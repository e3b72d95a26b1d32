"""Release decision records and Model Iteration Index scoring (pure: no I/O, no clock)."""
