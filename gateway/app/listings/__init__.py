"""Seller's tools for listings: the IP-risk screen and listing drafts (contract section 11)."""
