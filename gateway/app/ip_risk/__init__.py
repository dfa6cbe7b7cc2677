"""The IP-risk screen: a text rule below the features (images store its finding, listings and
review apply it, settings build it), so it imports none of them."""
