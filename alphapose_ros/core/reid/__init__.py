"""Identity embeddings for tracking: OSNet-AIN on the pose crops, or the pose-guided branch."""
