// The WebSocket frames of openapi/asyncapi.yaml, written by hand (no generator reads AsyncAPI 3
// with OpenAPI-dialect payloads); test/frames.test.ts checks every name and field against the
// document, so a change there fails the tests until it is made here too.
//
// Two sequences: a user event carries the user's event `seq`; a group event (read-diffused, see
// FRAMES.md) carries `groupId` and `groupSeq` instead. Both fields are optional here so that the
// client works with a server that sends either.
import type { components } from "./gen/openapi.ts";

type S = components["schemas"];
export type Message = S["Message"];
export type SendMessage = S["SendMessage"];
export type ChatType = S["ChatType"];
export type Conversation = S["Conversation"];
export type Group = S["Group"];

/** Where an event stands in its stream: the user's (`seq`) or a group's (`groupId`, `groupSeq`). */
export interface EventPosition {
  /** The receiving user's event seq (user events). */
  seq?: number;
  /** The group of a group event. */
  groupId?: string;
  /** The group's event seq (group events). */
  groupSeq?: number;
}

// ---- frame bodies ---------------------------------------------------------------------------
export interface MessageRevoked {
  id: string;
  chatType: ChatType;
  fromId: string;
  toId: string;
  revokedAt: string;
  revokedBy?: string;
}
export interface ReadReceipt {
  targetId: string;
  chatType: ChatType;
  userId: string;
  readSeq: number;
  messageId?: string;
  groupReadCount?: number;
}
export type ConversationUpdate = Conversation & { deleted?: boolean };
export interface FriendRequestEvent {
  requestId: string;
  fromUserId: string;
  toUserId: string;
  remark: string;
  status: "PENDING" | "ACCEPTED" | "REJECTED";
}
export interface FriendDeletedEvent {
  /** The two users who are no longer friends, in ascending order. */
  userIds: [string, string];
  deletedBy: string;
}
export interface GroupEvent {
  groupId: string;
  event:
    | "CREATED" | "MEMBERS_ADDED" | "MEMBER_REMOVED" | "MEMBER_LEFT" | "UPDATED" | "RENAMED" | "DISSOLVED"
    | "JOIN_REQUESTED" | "JOIN_REJECTED" | "ROLE_CHANGED" | "OWNER_TRANSFERRED"
    | "MEMBER_MUTED" | "MEMBER_UNMUTED" | "GROUP_MUTED" | "GROUP_UNMUTED" | (string & {});
  operatorId: string;
  userIds: string[];
  /** The group event seq of the change. */
  groupSeq?: number;
  group?: Group;
  requestId?: string;
  /** The member's role after a ROLE_CHANGED. */
  role?: "OWNER" | "ADMIN" | "MEMBER";
  /** When the mute of a MEMBER_MUTED ends. */
  mutedUntil?: string;
}
export interface Kicked {
  reason: "ACCOUNT_DELETED" | "TOKEN_EXPIRED" | "TENANT_DISABLED" | "APP_DELETED" | "SERVICE_DISABLED" | "TOO_MANY_CONNECTIONS" | (string & {});
  message?: string;
}
export interface FrameError {
  code: number;
  message: string;
}
export interface ReadRequest {
  targetId: string;
  chatType: ChatType;
  seq?: number;
}
/** A group and a seq: in `sync`, the client's last seen; in `synced`, the group's latest. */
export interface GroupSeq {
  groupId: string;
  afterSeq?: number;
  seq?: number;
}

// ---- server → client --------------------------------------------------------------------------
export interface MessageFrame extends EventPosition {
  type: "message";
  data: Message;
}
export interface MessageEditedFrame extends EventPosition {
  type: "message.edited";
  data: Message;
}
export interface MessageRevokedFrame extends EventPosition {
  type: "message.revoked";
  data: MessageRevoked;
}
export interface ReadFrame extends EventPosition {
  type: "read";
  data: ReadReceipt;
}
export interface ConversationUpdatedFrame extends EventPosition {
  type: "conversation.updated";
  data: ConversationUpdate;
}
export interface FriendRequestFrame extends EventPosition {
  type: "friend.request";
  data: FriendRequestEvent;
}
export interface FriendDeletedFrame extends EventPosition {
  type: "friend.deleted";
  data: FriendDeletedEvent;
}
export interface GroupEventFrame extends EventPosition {
  type: "group.event";
  data: GroupEvent;
}
export interface KickedFrame {
  type: "kicked";
  /** The user's latest event seq when kicked (kicked takes no number of its own). */
  seq: number;
  data: Kicked;
}
export interface PongFrame {
  type: "pong";
  id?: string;
}
export interface SyncedFrame {
  type: "synced";
  id?: string;
  /** The user's latest event seq. */
  seq: number;
  /** Every group of the user with its latest event seq (servers with read-diffused groups). */
  groups?: { groupId: string; seq: number }[];
}
export interface AckFrame {
  type: "ack";
  id: string;
  data: Message;
}
export interface ErrorFrame {
  type: "error";
  id?: string;
  data: FrameError;
}

/** A server event that has a place in a stream (everything the server sends but replies). */
export type EventFrame =
  | MessageFrame
  | MessageEditedFrame
  | MessageRevokedFrame
  | ReadFrame
  | ConversationUpdatedFrame
  | FriendRequestFrame
  | FriendDeletedFrame
  | GroupEventFrame;
export type ServerFrame = EventFrame | KickedFrame | PongFrame | SyncedFrame | AckFrame | ErrorFrame;

// ---- client → server --------------------------------------------------------------------------
export interface PingFrame {
  type: "ping";
  id?: string;
}
export interface SyncFrame {
  type: "sync";
  id?: string;
  afterSeq: number;
  /** The groups the client holds events of, each with the last group seq it handled. */
  groups?: { groupId: string; afterSeq: number }[];
}
export interface SendFrame {
  type: "send";
  id: string;
  data: SendMessage;
}
export interface ReadRequestFrame {
  type: "read";
  id?: string;
  data: ReadRequest;
}
export type ClientFrame = PingFrame | SyncFrame | SendFrame | ReadRequestFrame;

/** The `type` of every frame by direction, and the schema it follows in asyncapi.yaml. */
export const serverFrames = {
  message: "MessageFrame",
  "message.edited": "MessageEditedFrame",
  "message.revoked": "MessageRevokedFrame",
  read: "ReadFrame",
  "conversation.updated": "ConversationUpdatedFrame",
  "friend.request": "FriendRequestFrame",
  "friend.deleted": "FriendDeletedFrame",
  "group.event": "GroupEventFrame",
  kicked: "KickedFrame",
  pong: "PongFrame",
  synced: "SyncedFrame",
  ack: "AckFrame",
  error: "ErrorFrame",
} as const satisfies Record<ServerFrame["type"], string>;

export const clientFrames = {
  ping: "PingFrame",
  sync: "SyncFrame",
  send: "SendFrame",
  read: "ReadRequestFrame",
} as const satisfies Record<ClientFrame["type"], string>;

/** The top-level fields each frame schema may carry (checked against asyncapi.yaml). */
export const frameFields: Record<string, readonly string[]> = {
  MessageFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  MessageEditedFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  MessageRevokedFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  ReadFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  ConversationUpdatedFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  FriendRequestFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  FriendDeletedFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  GroupEventFrame: ["type", "seq", "groupId", "groupSeq", "data"],
  KickedFrame: ["type", "seq", "data"],
  PongFrame: ["type", "id"],
  SyncedFrame: ["type", "id", "seq", "groups"],
  AckFrame: ["type", "id", "data"],
  ErrorFrame: ["type", "id", "data"],
  PingFrame: ["type", "id"],
  SyncFrame: ["type", "id", "afterSeq", "groups"],
  SendFrame: ["type", "id", "data"],
  ReadRequestFrame: ["type", "id", "data"],
};
