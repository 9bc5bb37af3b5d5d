"""The Textual user interface of stepwizard: one module per wizard screen and one stylesheet."""
