"""The English catalog, the source language: one module per feature, each with `MESSAGES`."""
