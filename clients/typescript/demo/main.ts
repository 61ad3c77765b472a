// The demo chat served on /demo, built with the TypeScript client (make demo bundles it into
// internal/httpapi/web/demo). Demo users sign in through the demo login, then talk over IM:
// the HTTP client for lists, history, uploads, edits and revokes; the IM client for live events
// and sends.
import { createXuqm, IMClient, XuqmError, type ChatType, type Conversation, type Message, type ReadReceipt, type Token, type Xuqm } from "../src/index.ts";

const appId = "ak_demo_chat";
const users = ["demo_alice", "demo_bob", "demo_carol"];
const session = "xuqm-demo-session";
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface Saved {
  user: string;
  demoToken: string;
  im: Token;
}

let me = "";
let api: Xuqm;
let im: IMClient | null = null;
let current: { targetId: string; chatType: ChatType } | null = null;
const messages = new Map<string, Message>(); // of the open conversation, by id
const groupNames = new Map<string, string>();

function fail(where: string, e: unknown): void {
  const text = e instanceof XuqmError ? `${e.code}: ${e.message}` : String(e);
  $(where).textContent = text;
}

function debounce(fn: () => void, ms = 150): () => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(t);
    t = setTimeout(fn, ms);
  };
}

// ---- sign in --------------------------------------------------------------------------------

async function signIn(user: string): Promise<void> {
  $("login-error").textContent = "";
  try {
    const demo = createXuqm({ baseUrl: location.origin });
    const login = await demo.POST("/api/demo/auth/login", { body: { username: user, password: $<HTMLInputElement>("password").value } });
    demo.setToken(login.token);
    const imToken = await demo.POST("/api/demo/auth/refresh-im", { params: { query: { appId } } });
    const saved: Saved = { user, demoToken: login.token, im: imToken };
    sessionStorage.setItem(session, JSON.stringify(saved));
    await start(saved);
  } catch (e) {
    fail("login-error", e);
  }
}

async function start(saved: Saved): Promise<void> {
  me = saved.user;
  api = createXuqm({ baseUrl: location.origin, token: saved.im.token });
  // The demo token re-issues IM tokens, so the IM client renews its own before it expires.
  const renew = () => createXuqm({ baseUrl: location.origin, token: saved.demoToken }).POST("/api/demo/auth/refresh-im", { params: { query: { appId } } });
  im = new IMClient({ url: location.origin, token: saved.im, renewToken: renew });
  im.on("token", (t) => {
    api.setToken(t.token);
    sessionStorage.setItem(session, JSON.stringify({ ...saved, im: t }));
  });
  im.on("state", (s) => ($("state").textContent = s));
  im.on("message", (f) => received(f.data));
  im.on("message.edited", (f) => changed(f.data));
  im.on("message.revoked", (f) => {
    const m = messages.get(f.data.id);
    if (m) changed({ ...m, revoked: true });
    refreshConversations();
  });
  im.on("read", (f) => readMoved(f.data));
  im.on("conversation.updated", () => refreshConversations());
  im.on("group.event", () => refreshConversations());
  im.on("kicked", (f) => fail("chat-error", `signed out by the server: ${f.data.reason}`));
  $("me").textContent = `as ${me}`;
  $("login").hidden = true;
  $("chat").hidden = false;
  $("logout").hidden = false;
  $("new-chats").replaceChildren(
    ...users.filter((u) => u !== me).map((u) => {
      const b = document.createElement("button");
      b.textContent = u;
      b.dataset.newChat = u;
      b.onclick = () => open(u, "SINGLE");
      return b;
    }),
  );
  try {
    await loadConversations();
  } catch (e) {
    if (e instanceof XuqmError && e.code === 401) return signOut(); // the saved token expired
    fail("chat-error", e);
  }
  im.connect();
}

function signOut(): void {
  im?.close();
  im = null;
  sessionStorage.removeItem(session);
  location.reload();
}

// ---- conversations --------------------------------------------------------------------------

function nameOf(targetId: string, chatType: ChatType): string {
  return chatType === "GROUP" ? `# ${groupNames.get(targetId) ?? targetId}` : targetId;
}

function preview(m: Message | null | undefined): string {
  if (!m) return "";
  if (m.revoked) return "message revoked";
  if (m.msgType === "NOTIFY") return noticeText(m);
  return m.msgType === "TEXT" ? m.content : `[${m.msgType.toLowerCase()}]`;
}

/** The sentence of a NOTIFY message (a group's change: joined, renamed, muted, …). */
function noticeText(m: Message): string {
  try {
    return (JSON.parse(m.content) as { text?: string }).text ?? m.content;
  } catch {
    return m.content;
  }
}

async function loadConversations(): Promise<void> {
  const [page, groups] = await Promise.all([
    api.GET("/api/im/conversations", { params: { query: { appId, size: 100 } } }),
    api.GET("/api/im/groups", { params: { query: { appId, size: 100 } } }),
  ]);
  for (const g of groups.content) groupNames.set(g.groupId, g.name);
  const items = page.content.map((c: Conversation) => {
    const li = document.createElement("li");
    li.dataset.target = c.targetId;
    li.dataset.chatType = c.chatType;
    if (current?.targetId === c.targetId && current.chatType === c.chatType) li.classList.add("active");
    const text = document.createElement("div");
    const name = document.createElement("b");
    name.textContent = nameOf(c.targetId, c.chatType);
    const last = document.createElement("div");
    last.className = "last";
    last.textContent = preview(c.lastMessage);
    text.append(name, last);
    li.append(text);
    if (c.unreadCount > 0) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = String(c.unreadCount);
      li.append(badge);
    }
    li.onclick = () => open(c.targetId, c.chatType);
    return li;
  });
  $("conversations").replaceChildren(...items);
}

const refreshConversations = debounce(() => void loadConversations().catch((e) => fail("chat-error", e)));

// ---- one conversation -----------------------------------------------------------------------

async function open(targetId: string, chatType: ChatType): Promise<void> {
  current = { targetId, chatType };
  $("title").textContent = nameOf(targetId, chatType);
  $("composer").hidden = false;
  messages.clear();
  $("messages").replaceChildren();
  await loadHistory();
  markRead();
  refreshConversations();
}

async function loadHistory(): Promise<void> {
  if (!current) return;
  const { targetId, chatType } = current;
  const page =
    chatType === "GROUP"
      ? await api.GET("/api/im/messages/group-history/{groupId}", { params: { path: { groupId: targetId }, query: { appId, size: 50 } } })
      : await api.GET("/api/im/messages/history/{toId}", { params: { path: { toId: targetId }, query: { appId, size: 50 } } });
  if (current?.targetId !== targetId) return;
  messages.clear();
  for (const m of [...page.content].reverse()) messages.set(m.id, m);
  render();
}

const reloadHistory = debounce(() => void loadHistory().catch((e) => fail("chat-error", e)));

function markRead(): void {
  if (current) im?.markRead({ targetId: current.targetId, chatType: current.chatType });
}

function inCurrent(m: Message): boolean {
  if (!current || current.chatType !== m.chatType) return false;
  if (m.chatType === "GROUP") return m.toId === current.targetId;
  return (m.fromId === me ? m.toId : m.fromId) === current.targetId;
}

function received(m: Message): void {
  if (inCurrent(m)) {
    changed(m);
    if (m.fromId !== me) markRead();
  }
  refreshConversations();
}

function changed(m: Message): void {
  if (!inCurrent(m)) return;
  messages.set(m.id, m);
  render();
}

function readMoved(r: ReadReceipt): void {
  if (r.userId === me) return refreshConversations(); // my other device, or this one: unread counts moved
  if (current?.chatType === "GROUP" && r.targetId === current.targetId) reloadHistory(); // "N read" of older messages too
}

function thumbnailOf(m: Message): string | undefined {
  try {
    const c = JSON.parse(m.content) as { url?: string; hash?: string };
    const hash = c.hash ?? c.url?.split("/").filter(Boolean).pop();
    return hash ? `/api/file/${encodeURIComponent(hash)}/thumbnail?w=200&h=200` : undefined;
  } catch {
    return undefined;
  }
}

function button(label: string, action: () => Promise<unknown>): HTMLButtonElement {
  const b = document.createElement("button");
  b.textContent = label;
  b.onclick = () => void action().catch((e) => fail("chat-error", e));
  return b;
}

function render(): void {
  const list = [...messages.values()].sort((a, b) => a.seq - b.seq);
  $("messages").replaceChildren(
    ...list.map((m) => {
      const li = document.createElement("li");
      li.dataset.id = m.id;
      li.dataset.msgType = m.msgType;
      if (m.fromId === me) li.classList.add("mine");
      const body = document.createElement("div");
      body.className = "body";
      if (m.revoked) {
        body.className = "body revoked";
        body.textContent = "message revoked";
      } else if (m.msgType === "IMAGE" && thumbnailOf(m)) {
        const img = document.createElement("img");
        img.className = "thumb";
        img.alt = "image";
        img.src = thumbnailOf(m)!;
        body.append(img);
      } else {
        body.textContent = m.msgType === "TEXT" ? m.content : m.msgType === "NOTIFY" ? noticeText(m) : `[${m.msgType}] ${m.content}`;
      }
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = `${m.fromId} · ${new Date(m.createdAt).toLocaleTimeString()}${m.editedAt && !m.revoked ? " · edited" : ""}`;
      if (m.chatType === "GROUP" && m.fromId === me && !m.revoked) {
        const read = document.createElement("span");
        read.className = "read-count";
        read.textContent = ` · ${m.groupReadCount ?? 0} read`;
        meta.append(read);
      }
      if (m.fromId === me && !m.revoked) {
        if (m.msgType === "TEXT") {
          meta.append(
            button("Edit", async () => {
              const content = prompt("Edit message", m.content);
              if (content && content !== m.content) changed(await api.PUT("/api/im/messages/{id}", { params: { path: { id: m.id }, query: { appId } }, body: { content } }));
            }),
          );
        }
        meta.append(button("Revoke", () => api.POST("/api/im/messages/{id}/revoke", { params: { path: { id: m.id }, query: { appId } } })));
      }
      li.append(body, meta);
      return li;
    }),
  );
  $("messages").scrollTop = $("messages").scrollHeight;
}

async function sendText(): Promise<void> {
  const input = $<HTMLInputElement>("text");
  const content = input.value.trim();
  if (!content || !current || !im) return;
  input.value = "";
  changed(await im.send({ toId: current.targetId, chatType: current.chatType, msgType: "TEXT", content }));
}

async function sendImage(file: File): Promise<void> {
  if (!current || !im) return;
  const form = new FormData();
  form.append("file", file, file.name);
  const info = await api.POST("/api/file/upload", {
    params: { query: { appId } },
    body: form as unknown as { file: string },
    bodySerializer: (b: unknown) => b,
  });
  const content = JSON.stringify({ url: info.url, hash: info.hash, name: info.name, size: info.size });
  changed(await im.send({ toId: current.targetId, chatType: current.chatType, msgType: "IMAGE", content }));
}

async function newGroup(): Promise<void> {
  const g = await api.POST("/api/im/groups", { params: { query: { appId } }, body: { name: `${me}'s group`, memberIds: users.filter((u) => u !== me) } });
  groupNames.set(g.groupId, g.name);
  await open(g.groupId, "GROUP");
}

// ---- wiring ---------------------------------------------------------------------------------

for (const b of document.querySelectorAll<HTMLButtonElement>("[data-user]")) b.onclick = () => void signIn(b.dataset.user!);
$("logout").onclick = signOut;
$("new-group").onclick = () => void newGroup().catch((e) => fail("chat-error", e));
$("composer").onsubmit = (ev) => {
  ev.preventDefault();
  void sendText().catch((e) => fail("chat-error", e));
};
$<HTMLInputElement>("image").onchange = (ev) => {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = "";
  if (file) void sendImage(file).catch((e) => fail("chat-error", e));
};
const saved = sessionStorage.getItem(session);
if (saved) void start(JSON.parse(saved) as Saved);
