"""Mail-flow domain knowledge for Microsoft 365 / Exchange Online, free of any chat code."""
