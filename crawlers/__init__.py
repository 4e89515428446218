"""Find each agency's annual report on its website and fetch it politely and safely."""
