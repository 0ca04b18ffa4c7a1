"""The first bytes that tell a file's format, shared by the reader chooser and the readers.

Kept apart from ``readers/__init__.py`` so that a reader can use them without
importing the package that imports it (no import cycle).
"""
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97 containers: .doc, .wps, an encrypted .docx
RTF_MAGIC = b"{\\rtf"
ZIP_MAGIC = b"PK\x03\x04"  # .docx and every other Office Open XML file
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")  # png, jpg, tif (both byte orders)
