"""Tests for Scene HTTP Request."""
