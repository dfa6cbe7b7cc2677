"""Seller's tools for listings: deterministic listing drafts (contract section 11), screened by
`ip_risk`."""
