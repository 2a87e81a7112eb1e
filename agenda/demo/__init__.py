"""The demo seed: a programme, meetings and papers made through the domain functions."""
