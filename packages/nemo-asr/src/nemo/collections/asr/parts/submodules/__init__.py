"""Building blocks of the attention encoders (Conformer): subsampling, attention, convolution and layer modules.

Module paths, class names, constructor arguments and submodule names follow NVIDIA NeMo's
``nemo.collections.asr.parts.submodules`` so that NeMo's state dicts load strictly.
"""
