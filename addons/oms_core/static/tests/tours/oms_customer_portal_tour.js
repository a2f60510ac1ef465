/** @odoo-module **/
/**
 * Customer (portal, runs in zh_CN): the order page shows where the order is,
 * the shipment with its tracking number, then the customer rates the delivery.
 * Data: oms_core/tests/test_tour_customer_portal.py
 */
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("oms_customer_portal_tour", {
  steps: () => [
    {
      content: "the timeline: reviewed, shipped with its tracking number",
      trigger: "#oms_timeline .oms_timeline_reviewed .fa-check-circle",
    },
    {
      content: "the shipment with its carrier's tracking number",
      trigger: "#oms_timeline .oms_timeline_shipped:contains(SF1234567890)",
    },
    {
      content: "delivered",
      trigger: "#oms_timeline .oms_timeline_delivered .fa-check-circle",
    },
    {
      content: "rate the delivery: satisfied",
      trigger: "#oms_timeline .oms_rate_5",
      run: "click",
    },
    {
      content: "say why",
      trigger: ".o_rating_page_submit textarea[name=feedback]",
      run: "edit 送货很快，包装完好",
    },
    {
      content: "send the feedback",
      trigger: ".o_rating_page_submit button[type=submit]",
      run: "click",
    },
    {
      content: "thanked",
      trigger: ".o_rating_page_thank_you",
    },
  ],
});
