"""Synthetic annual reports: generate AnnualReports and render them as HTML, PDF, DOCX and text, for tests, benchmarks and the demo site farm."""
