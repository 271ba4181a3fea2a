"""The review app: server-rendered pages (Jinja2) and their JSON twins under /api (FastAPI).

Pages and API routes call storage functions only; nothing in this package talks to MongoDB.
"""
