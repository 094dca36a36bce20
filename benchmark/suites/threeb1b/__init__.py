"""The ``3b1b`` suite: built on the user's machine from their own 3b1b checkouts."""
