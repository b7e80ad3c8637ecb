"""Shop the look: offline detection of purchasable items and matching them to the catalog.

Everything here runs locally on the CPU (onnxruntime + OpenCV + numpy); nothing is uploaded and
no model is downloaded at run time: the model files are assets with a manifest
(assets/models/manifest.json). No Qt here.
"""
