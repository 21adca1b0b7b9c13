"""Image tags pinned to digests: `kfyaml lock --images`, and the compiled IR naming `image:tag@sha256:...`.

A component that names an image by tag runs whatever the tag points at on
the day the pod starts. `kfyaml lock --images` asks the image's registry
(the OCI distribution API: `HEAD /v2/<name>/manifests/<tag>`, with the
registry's bearer-token sign-in when it asks for one) for the digest the
tag names now, and the lock keeps it in the entry; compiling then writes
`name:tag@sha256:...` for that image, so every run pulls the same bytes.
A tag that now names another digest is an error naming both, like a moved
git tag, until `--update`. Registries are reached over HTTPS (plain HTTP
only on 127.0.0.1); nothing else about the image is fetched.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import urllib.error
import urllib.parse
import urllib.request

import yaml

from ..model import Component

TIMEOUT = 60
_MANIFESTS = ", ".join(("application/vnd.oci.image.index.v1+json",
                        "application/vnd.docker.distribution.manifest.list.v2+json",
                        "application/vnd.oci.image.manifest.v1+json",
                        "application/vnd.docker.distribution.manifest.v2+json"))
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_LOOPBACK = ("127.0.0.1", "localhost")


class ImageError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class Image:
    registry: str   # host[:port]
    name: str       # the repository in the registry (`library/alpine` for Docker Hub's `alpine`)
    tag: str


def parse(text: str) -> Image | None:
    """An image named by tag; None for one already pinned by digest, or not a literal name."""
    if not isinstance(text, str) or "@" in text or "{{" in text or "${{" in text or not text.strip():
        return None
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "registry-1.docker.io", text
    name, _, tag = path.rpartition(":") if ":" in path.rsplit("/", 1)[-1] else (path, "", "latest")
    if registry == "registry-1.docker.io" and "/" not in name:
        name = f"library/{name}"
    return Image(registry, name, tag or "latest")


def images_in(data: bytes) -> list[str]:
    """Every literal image a component file names: a kfyaml pipeline's `image:`, a KFP v1 component's
    `implementation.container.image`, an IR executor's `container.image`."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return []
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            image = node.get("image")
            if isinstance(image, str) and parse(image) is not None:
                found.add(image)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return sorted(found)


def digest_of(text: str) -> str:
    """The digest the tag names now, from the image's registry."""
    image = parse(text)
    if image is None:
        raise ImageError(f"`{text}` is not an image named by tag")
    host = image.registry.split(":")[0]
    scheme = "http" if host in _LOOPBACK else "https"
    url = f"{scheme}://{image.registry}/v2/{image.name}/manifests/{urllib.parse.quote(image.tag)}"
    headers = {"Accept": _MANIFESTS, "User-Agent": "kfyaml"}
    try:
        return _head(url, headers)
    except urllib.error.HTTPError as exc:
        if exc.code != 401 or "Bearer" not in exc.headers.get("WWW-Authenticate", ""):
            raise ImageError(f"{text}: the registry answered {exc.code} {exc.reason}") from None
        token = _token(exc.headers["WWW-Authenticate"], text)
    try:
        return _head(url, {**headers, "Authorization": f"Bearer {token}"})
    except urllib.error.HTTPError as exc:
        raise ImageError(f"{text}: the registry answered {exc.code} {exc.reason}") from None


def pinned(component: Component | None, images: dict[str, str]) -> Component | None:
    """The component with each image the lock pins written `name:tag@digest`, in its own container and in every
    executor of its DAG (a nested pipeline or compiled IR)."""
    if component is None or not images:
        return component
    def pin(text):
        return f"{text}@{images[text]}" if isinstance(text, str) and text in images else text
    changes = {}
    if isinstance(component.image, str) and component.image in images:
        changes["image"] = pin(component.image)
    if component.dag is not None:
        dag = copy.deepcopy(component.dag)
        for executor in (dag.get("deploymentSpec", {}).get("executors") or {}).values():
            container = executor.get("container")
            if container and container.get("image") in images:
                container["image"] = pin(container["image"])
        changes["dag"] = dag
    return dataclasses.replace(component, **changes) if changes else component


def _head(url: str, headers: dict) -> str:
    request = urllib.request.Request(url, headers=headers, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            digest = response.headers.get("Docker-Content-Digest", "")
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError) as exc:
        raise ImageError(f"{url}: the registry could not be reached: {getattr(exc, 'reason', exc)}") from None
    if not _DIGEST.match(digest):
        raise ImageError(f"{url}: the registry gave no sha256 digest (Docker-Content-Digest: {digest or 'none'})")
    return digest


def _token(challenge: str, text: str) -> str:
    """An anonymous pull token from the registry's token service (the distribution spec's Bearer challenge)."""
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm", "")
    if not realm.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ImageError(f"{text}: the registry's sign-in is at `{realm}`, which kfyaml does not follow")
    url = realm + "?" + urllib.parse.urlencode({k: v for k, v in fields.items() if k in ("service", "scope")})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "kfyaml"}), timeout=TIMEOUT) as r:
            data = json.loads(r.read(1024 * 1024))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ImageError(f"{text}: the registry's token service failed: {getattr(exc, 'reason', exc)}") from None
    token = data.get("token") or data.get("access_token") if isinstance(data, dict) else None
    if not token:
        raise ImageError(f"{text}: the registry's token service gave no token")
    return token
