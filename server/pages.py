"""The HTML and linked-data routes: the home page, entity pages with content negotiation, sources."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("pages", __name__)
