/** @odoo-module **/
/**
 * Sharing scarce stock (runs in zh_CN). Manager: gives the Tmall shop 50 %
 * of a bowl's stock, at most 4, keeping 3 for the other channels, then opens
 * the allocation table: per SKU the stock available to promise and what each
 * channel is offered.
 * Data: oms_channels/tests/test_tour_channel_allocation.py
 */
import {registry} from "@web/core/registry";
import {
  omsScreenshot,
  omsSteps,
  openMenu,
} from "@oms_core/../tests/tours/oms_tour_utils";

const TMALL = "天猫旗舰店";
const MINI = "微信小程序商城";
const BOWL = "景德镇瓷碗";

registry.category("web_tour.tours").add("oms_channel_allocation_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_core.oms_core_menu_config",
        "oms_channels.oms_channel_allocation_menu"
      ),
      {
        content: "a new allocation",
        trigger: ".o_list_view .o_list_button_add",
        run: "click",
      },
      {
        content: "for the Tmall shop",
        trigger: ".o_data_row .o_field_widget[name=channel_id] input",
        run: `edit ${TMALL}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${TMALL})`,
        run: "click",
      },
      {
        content: "of the bowl",
        trigger: ".o_data_row .o_field_widget[name=product_id] input",
        run: `edit ${BOWL}`,
      },
      {
        content: "pick it",
        trigger: `.o-autocomplete--dropdown-item:contains(${BOWL})`,
        run: "click",
      },
      {
        content: "half of the stock",
        trigger: ".o_data_row .o_field_widget[name=share_percent] input",
        run: "edit 50",
      },
      {
        content: "at most 4",
        trigger: ".o_data_row .o_field_widget[name=max_qty] input",
        run: "edit 4",
      },
      {
        content: "3 kept for the other channels",
        trigger: ".o_data_row .o_field_widget[name=floor_qty] input",
        run: "edit 3",
      },
      {
        content: "save the row",
        trigger: ".o_list_view .o_list_button_save",
        run: "click",
      },
      {
        content: "saved",
        trigger: `.o_list_view .o_data_row:not(.o_selected_row):contains(${TMALL})`,
      },
      ...openMenu(
        "oms_core.oms_core_menu_root",
        "oms_channels.oms_channels_menu_channels_root",
        "oms_channels.oms_channel_allocation_table_menu"
      ),
      {
        content: "open the bowl",
        trigger: `.o_list_view .o_group_header:contains(${BOWL})`,
        run: "click",
      },
      {
        content: "10 available to promise",
        trigger: `.o_list_view .o_data_row:contains(${TMALL}) td[name=atp_qty]:contains(10)`,
      },
      {
        content: "Tmall is offered 4 (its maximum)",
        trigger: `.o_list_view .o_data_row:contains(${TMALL}) td[name=offered_qty]:contains(4)`,
      },
      {
        content: "the mini program, without allocation, all 10",
        trigger: `.o_list_view .o_data_row:contains(${MINI}) td[name=offered_qty]:contains(10)`,
      },
      omsScreenshot("manager-allocation-table", ".o_list_view"),
    ]),
});
