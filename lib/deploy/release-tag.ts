/** A release tag is a Docker tag (checked again by the synthesized RELEASE_TAG variable's validation). */
export const RELEASE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
