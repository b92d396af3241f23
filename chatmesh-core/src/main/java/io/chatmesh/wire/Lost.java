package io.chatmesh.wire;

/** The admin cannot resend {@code fromSeq..toSeq}: they fell out of its bounded resend buffer. */
public record Lost(String room, long epoch, long fromSeq, long toSeq) implements WireMessage {}
