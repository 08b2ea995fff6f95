{ bool = true; }
