"""The reliability suite: fuzzing, security, database outages, crashes and fault storms."""
