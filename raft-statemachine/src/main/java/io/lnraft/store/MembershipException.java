package io.lnraft.store;

import java.io.IOException;

/** A replica cannot take part in its group as configured; the message says why and what to do. */
public final class MembershipException extends IOException {
  public MembershipException(String message) {
    super(message);
  }
}
