# TEMPORARY stub; replaced by the helper's module
from dataclasses import dataclass
from datetime import datetime

BOX_WIDTH = 210.0
BOX_HEIGHT = 100.0


@dataclass(frozen=True)
class Appearance:
    signer_name: str
    title: str
    organisation: str
    signed_at: datetime
    signature: bool = True
    seal: bool = True


def stamp_style(a):
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(stamp_text="%(signer)s")


def text_params(a):
    return {"signer": a.signer_name}
