"""Onboarding domain models (added with the five-step onboarding)."""

from __future__ import annotations
