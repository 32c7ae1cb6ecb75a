"""The therapist's report: history gathered into charts, an HTML page and CSV files."""
