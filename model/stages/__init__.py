"""The stages of a period (issue 14)."""
