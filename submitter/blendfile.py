"""Read a .blend file's scenes and frame ranges from its bytes, without Blender.

Pure: imports no bpy, boto3 or ffmpeg (stdlib and `zstandard` only), so the submitter can plan
a render on a laptop. Two depths:

- a prefix (`complete=False`, e.g. the first `PREFIX_BYTES` of an s3:// object): the `REND`
  blocks that follow the header give the saved-active scene's name, start and end;
- the whole file (`complete=True`): the Scene ID blocks, decoded with the file's own SDNA, add
  frame_step, fps and fps_base, and list the scenes that have no `REND` block.

Both depths give the Blender that saved the file (the header's digits) and, from the `GLOB` block
that follows the `REND` blocks (and the thumbnail), its subversion and the oldest Blender that
can open it (`minversion`, `minsubversion`): what routes a render to an image (see
entrypoint/blenderversions.py).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from entrypoint.blenderversions import Version, parse_version
from submitter.blendbytes import BlendFileError, decompress
from submitter.blendversion import FileGlobal, Header, parse_glob, parse_header
from submitter.sdna import Sdna, SdnaError, parse_sdna

PREFIX_BYTES = 128 * 1024
_SCENE_CODE = b"SC\0\0"
# The thumbnail that may sit between the REND blocks and GLOB.
_THUMBNAIL_CODE = b"TEST"


@dataclass(frozen=True)
class SceneInfo:
    name: str
    start: int
    end: int
    step: int | None = None  # known only when the whole file was read
    fps: int | None = None  # idem
    fps_base: float | None = None  # idem


@dataclass(frozen=True)
class BlendInfo:
    version: str  # e.g. "5.0" / "2.93"
    pointer_size: int  # 4 or 8
    little_endian: bool
    compression: str  # "none" | "gzip" | "zstd"
    # REND scenes in file order (the first is the one Blender saved as active); with the whole
    # file read, the scenes without a REND block follow them.
    scenes: tuple[SceneInfo, ...]
    # From the GLOB block; None when the data read has none (or a Blender older than 2.50).
    subversion: int | None = None
    minversion: Version | None = None  # the oldest Blender that opens the file: (4, 5)
    minsubversion: int | None = None

    @property
    def saved_by(self) -> Version:
        """The Blender that saved the file, (major, minor): "5.3" -> (5, 3)."""
        return parse_version(self.version)


@dataclass(frozen=True)
class Block:
    code: bytes
    sdna_index: int
    start: int  # of the data, after the block header
    length: int
    address: int = 0  # the data's memory address when saved: what pointers to it hold
    count: int = 1  # structs of `sdna_index` in the data


@dataclass(frozen=True)
class BlendData:
    """A whole decompressed .blend: its blocks (with their saved addresses) and its SDNA."""

    raw: bytes
    version: str
    pointer_size: int
    endian: str  # struct-module prefix
    sdna: Sdna
    blocks: tuple[Block, ...]  # in file order, up to ENDB


def read_blend_info(data: bytes, *, complete: bool) -> BlendInfo:
    """Scenes of a .blend given a prefix of it (`complete=False`) or all of it (`complete=True`).

    A prefix yields names, start and end (step/fps/fps_base None); the whole file adds those from
    the Scene blocks at the offsets its own SDNA gives.
    """
    compression, raw = decompress(data, limit=None if complete else PREFIX_BYTES)
    header = parse_header(raw, compression)
    rend_scenes, scene_blocks, sdna, glob = _scan(raw, header, complete=complete)
    if not rend_scenes:
        raise BlendFileError(
            f"a .blend (Blender {header.version}) but no REND block, so it names no scene to "
            "render (bpy.data.libraries.write() saves files like this): open it in Blender "
            "and save it with File > Save"
        )
    scenes = tuple(rend_scenes)
    if complete:
        scenes = _with_scene_settings(scenes, [_read_scene(raw, b, sdna) for b in scene_blocks])
    return BlendInfo(
        header.version,
        header.pointer_size,
        header.endian == "<",
        compression,
        scenes,
        glob.subversion,
        glob.minversion,
        glob.minsubversion,
    )


def read_blend_data(data: bytes) -> BlendData:
    """Every block of a whole .blend (decompressed), with the SDNA that describes them."""
    compression, raw = decompress(data, limit=None)
    header = parse_header(raw, compression)
    blocks, sdna = [], None
    for block in _blocks(raw, header):
        _check_inside(raw, header, block)
        if block.code == b"DNA1":
            sdna = _parse_sdna_block(raw, block, header)
        elif block.code == b"ENDB":
            break
        blocks.append(block)
    if sdna is None:
        raise _truncated(raw, header, [], complete=True)
    return BlendData(raw, header.version, header.pointer_size, header.endian, sdna, tuple(blocks))


def read_blend_file(path: str | Path) -> BlendInfo:
    """Scenes, frame ranges, step and fps of a local .blend (read whole)."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise BlendFileError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return read_blend_info(data, complete=True)
    except BlendFileError as error:
        raise BlendFileError(f"{path}: {error}") from None


def pick_scene(info: BlendInfo, name: str | None) -> SceneInfo:
    """The named scene, or the saved-active one when `name` is None."""
    if name is None:
        return info.scenes[0]
    for scene in info.scenes:
        if scene.name == name:
            return scene
    known = ", ".join(repr(scene.name) for scene in info.scenes)
    hint = ""
    if info.scenes[0].step is None:
        hint = " (from the start of the file only the saved-active scene is known)"
    raise BlendFileError(f"no scene named {name!r}; the file has {known}{hint}")


def _scan(
    raw: bytes, header: Header, *, complete: bool
) -> tuple[list[SceneInfo], list[Block], Sdna | None, FileGlobal]:
    """The REND scenes and the GLOB facts; with `complete`, also the Scene blocks and the SDNA.

    A prefix is read up to GLOB: REND blocks come first, then maybe the thumbnail, then GLOB;
    the header of any other block ends the reading (GLOB's facts are then unknown).
    """
    rend_scenes, scene_blocks, sdna, glob = [], [], None, FileGlobal()
    after_rend = False  # a block header after the REND blocks was read: the list is whole
    for block in _blocks(raw, header):
        after_rend = after_rend or block.code != b"REND"
        if not complete and block.code == _THUMBNAIL_CODE:
            continue  # its data may be cut by the prefix: only its header is needed
        if not complete and block.code == b"GLOB":
            glob = parse_glob(raw, block.start, block.length, header)
            return rend_scenes, scene_blocks, sdna, glob
        if not complete and block.code != b"REND":
            return rend_scenes, scene_blocks, sdna, glob
        _check_inside(raw, header, block)
        if block.code == b"REND":
            rend_scenes.append(_parse_rend(raw, block, header))
        elif block.code == b"GLOB":
            glob = parse_glob(raw, block.start, block.length, header)
        elif block.code == _SCENE_CODE:
            scene_blocks.append(block)
        elif block.code == b"DNA1":
            sdna = _parse_sdna_block(raw, block, header)
        elif block.code == b"ENDB":
            break
    if complete and sdna is None:
        raise _truncated(raw, header, rend_scenes, complete)
    if not complete and not after_rend:  # the prefix ends on a block boundary after REND blocks
        raise _truncated(raw, header, rend_scenes, complete)
    return rend_scenes, scene_blocks, sdna, glob


def _check_inside(raw: bytes, header: Header, block: Block) -> None:
    if block.start + block.length > len(raw):
        raise BlendFileError(
            f"a .blend (Blender {header.version}) whose block {block.code!r} needs "
            f"{block.length} bytes from byte {block.start} but the data ends at byte "
            f"{len(raw)}: the file is truncated; upload or download it again"
        )


def _blocks(raw: bytes, header: Header) -> Iterator[Block]:
    """Blocks in file order, up to the last whole block header (its data may be cut)."""
    head = struct.Struct(header.block_format)
    pos = header.size
    while pos + head.size <= len(raw):
        if header.size == 17:
            code, sdna_index, address, length, count = head.unpack_from(raw, pos)
        else:
            code, length, address, sdna_index, count = head.unpack_from(raw, pos)
        if length < 0:
            raise BlendFileError(
                f"block {code!r} at byte {pos} has a negative length: the file is damaged; "
                "re-save it from Blender"
            )
        yield Block(code, sdna_index, pos + head.size, length, address, count)
        pos += head.size + length


def _parse_rend(raw: bytes, block: Block, header: Header) -> SceneInfo:
    # struct RenderInfo { int sfra, efra; char scene_name[64 (256 since 5.0)]; }
    if block.length < 9:
        raise BlendFileError(
            f"a REND block of {block.length} bytes is too short for a frame range and a "
            "scene name: the file is damaged; re-save it from Blender"
        )
    start, end = struct.unpack_from(header.endian + "ii", raw, block.start)
    name = raw[block.start + 8 : block.start + block.length]
    return SceneInfo(_c_string(name), start, end)


def _truncated(
    raw: bytes, header: Header, rend_scenes: list[SceneInfo], complete: bool
) -> BlendFileError:
    where = f"a .blend (Blender {header.version}) whose data ends at byte {len(raw)}"
    if complete:
        return BlendFileError(
            f"{where} without its DNA1 block: the file is truncated; upload or download it again"
        )
    if not rend_scenes:
        return BlendFileError(
            f"{where} before any REND block: the file is truncated, or the prefix read was too "
            "short"
        )
    return BlendFileError(
        f"{where} right after {len(rend_scenes)} REND block(s), so more may follow: read a "
        "longer prefix or the whole file"
    )


def _parse_sdna_block(raw: bytes, block: Block, header: Header) -> Sdna:
    data = memoryview(raw)[block.start : block.start + block.length]
    try:
        return parse_sdna(data, endian=header.endian, pointer_size=header.pointer_size)
    except SdnaError as error:
        raise BlendFileError(
            f"the DNA1 block (struct layouts) cannot be decoded: {error}; the file is damaged, "
            "re-save it from Blender"
        ) from None


def _read_scene(raw: bytes, block: Block, sdna: Sdna) -> SceneInfo:
    try:
        if sdna.struct_names[block.sdna_index] != "Scene":
            raise SdnaError(f"SC block of struct {sdna.struct_names[block.sdna_index]}")

        def value(path: str) -> int | float | bytes:
            return sdna.read(raw, block.start, sdna.member("Scene", path))

        id_name = _c_string(value("id.name"))
        return SceneInfo(
            name=id_name[2:],  # an ID name starts with its 2-letter type code, "SC"
            start=value("r.sfra"),
            end=value("r.efra"),
            step=value("r.frame_step"),
            fps=value("r.frs_sec"),
            fps_base=value("r.frs_sec_base"),
        )
    except (SdnaError, IndexError, struct.error) as error:
        raise BlendFileError(
            f"cannot read a Scene block with the file's SDNA ({error}): the file is damaged "
            "or from a Blender this reader does not know; re-save it with Blender 5.0"
        ) from None


def _with_scene_settings(
    rend_scenes: tuple[SceneInfo, ...], scenes: list[SceneInfo]
) -> tuple[SceneInfo, ...]:
    by_name = {scene.name: scene for scene in scenes}
    ordered = []
    for rend in rend_scenes:
        scene = by_name.get(rend.name)
        if scene is None:
            raise BlendFileError(
                f"a REND block names scene {rend.name!r} but no Scene block has that name: "
                "the file is damaged; re-save it from Blender"
            )
        ordered.append(scene)
    rend_names = {rend.name for rend in rend_scenes}
    return tuple(ordered) + tuple(s for s in scenes if s.name not in rend_names)


def _c_string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")
