"""The Rx part of the Lab API v2 fetch model (contracts/rx-orders.md), as an order without a
prescription, lenses or frame shows it."""

EYE_KEYS = [
    "Add",
    "Axis",
    "Calculated",
    "Cylinder",
    "LensMaterial",
    "LensStyle",
    "NearPd",
    "OPC",
    "Pd",
    "Prism",
    "PrismBase",
    "SegHeight",
    "Sphere",
]
ORDER_RX_KEYS = [
    "balanceLens",
    "corridorLength",
    "crib",
    "ellh",
    "frameA",
    "frameB",
    "frameBridge",
    "frameCircumference",
    "frameColor",
    "frameED",
    "frameEye",
    "frameManufacturer",
    "frameName",
    "framePartSKU",
    "frameSKU",
    "frameSideShieldSKU",
    "frameStatusCode",
    "frameUPC",
    "instructions",
    "misc1SKU",
    "misc2SKU",
    "warehouse",
]

NO_RX = (
    {f"{side}{key}": None for side in ("rt", "lt") for key in EYE_KEYS}
    | dict.fromkeys(ORDER_RX_KEYS)
    | {"warehouse": "DEFAULT", "addons": [], "arCode": None, "arDesc": None}
)

# An order made with ``tests.jobs.A_LENS`` (what ``make_order`` gives a job by default).
A_LENS_SHOWN = NO_RX | {
    "rtLensStyle": "SV",
    "rtLensMaterial": "CR39",
    "rtSphere": 0.0,
    "rtCalculated": False,
}
