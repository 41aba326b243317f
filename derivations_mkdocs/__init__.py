"""The MkDocs side of derivation checking: what the hook ``hooks/verification.py`` puts on pages.

``fence`` lets the renderer report the derivation blocks it shows, ``marks`` turns a page's
verification into marks, notes and failure boxes in its HTML, ``report`` writes the
verification report. The checking itself is ``derivations``, which knows nothing of MkDocs.
"""
