"""Person detectors behind one interface (base.Detector), and box NMS."""
