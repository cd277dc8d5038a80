"""The kit's infrastructure, shared by every lesson and problem: argument checks (``validation``), scaling and the
box-to-unbounded map (``scaling``), training helpers (``training``), the torch network builder (``nets``), and device
and seed helpers (``runtime``). Nothing here imports a lesson module, and only ``nets`` imports torch at load time.
"""
