"""Polling GlobeNewswire feeds: fetch, parse, schedule, and keep each feed's health."""
