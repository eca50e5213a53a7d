"""Fulfilment of verified requests: access exports, erasure, rectification.

Everything here reaches personal data through the registry
(``privacyportal.registry``), never by importing another app's models.
"""
