import type wrtc from '@roamhq/wrtc';

/**
 * The part of RTCPeerConnection we use. @roamhq/wrtc re-exports the DOM's types, which this
 * Node build doesn't load (no "dom" lib), so its class is `any` to the compiler: this is its type.
 */
export interface PeerConnection {
  connectionState: string;
  iceGatheringState: string;
  localDescription: { type: string; sdp: string } | null;
  ontrack: ((e: { track: unknown }) => void) | null;
  onconnectionstatechange: ((e: unknown) => void) | null;
  onicegatheringstatechange: ((e: unknown) => void) | null;
  addTrack(track: unknown): unknown;
  createOffer(): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  close(): void;
}

/** A peer connection from wrtc's constructor (typed once, here). */
export function peerConnection(lib: typeof wrtc): PeerConnection {
  const Ctor = lib.RTCPeerConnection as new (config: { iceServers: never[] }) => PeerConnection;
  return new Ctor({ iceServers: [] });
}
