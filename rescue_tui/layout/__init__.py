"""The saved layout: model, file format, validation, capture and import."""
