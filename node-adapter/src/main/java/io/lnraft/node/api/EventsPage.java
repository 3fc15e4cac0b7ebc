package io.lnraft.node.api;

import java.util.List;

/**
 * A page of the event feed.
 *
 * @param events events with seq greater than the requested {@code after}, ascending
 * @param nextAfter what to pass as {@code after} for the next page: the seq of the last event
 *     here, or the requested {@code after} if the page is empty
 */
public record EventsPage(List<NodeEvent> events, long nextAfter) {
  public EventsPage {
    events = List.copyOf(events);
    long previous = Long.MIN_VALUE;
    for (NodeEvent e : events) {
      if (e.seq() <= previous) {
        throw new IllegalArgumentException("events must be in strictly increasing seq order");
      }
      previous = e.seq();
    }
    if (!events.isEmpty() && nextAfter != previous) {
      throw new IllegalArgumentException("nextAfter must be the seq of the last event");
    }
  }
}
