"""The lab, off the runtime path: the emulated strap, simulated hearts, labelled scenarios
and the detection-quality evaluation.
"""
