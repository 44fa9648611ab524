"""What tracked people do: fall detection."""
