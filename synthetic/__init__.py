"""Synthetic annual reports: `generate` valid `SyntheticReport`s and `render` them as text, HTML, PDF and DOCX, for tests, benchmarks and the demo site farm."""
