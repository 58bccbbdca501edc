"""Channels and hosting: the console, the Bot Framework endpoint, the command line."""
